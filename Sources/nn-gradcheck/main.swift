import NNCommandLine

NNGradcheck.runAsTool()
