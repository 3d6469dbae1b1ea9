// CoreArguments.swift: the core's choices as command-line values (--activation relu, --loss mse, ...).
import ArgumentParser
import NNCore

extension Activation: ExpressibleByArgument {}
extension WeightInit: ExpressibleByArgument {}
extension OutputKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
