import NNCommandLine

NNModel.runAsTool()
