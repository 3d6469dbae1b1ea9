import NNCommandLine

NNTrain.runAsTool()
