import NNCommandLine

NNPredict.runAsTool()
