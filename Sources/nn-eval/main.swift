import NNCommandLine

NNEval.runAsTool()
