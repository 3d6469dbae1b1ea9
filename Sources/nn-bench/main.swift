import NNCommandLine

NNBench.runAsTool()
