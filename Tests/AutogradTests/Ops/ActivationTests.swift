import Foundation

@testable import Autograd

/// The activations of `Tensor+Activation.swift`, one row each, as `mathCases`.
let activationCases: [UnaryCase] = [
  UnaryCase(name: "relu", range: -2...2, op: { $0.relu() }, reference: { Swift.max($0, 0) }),
  UnaryCase(name: "sigmoid", range: -2...2, op: { $0.sigmoid() }, reference: { 1 / (1 + Foundation.exp(-$0)) }),
  UnaryCase(
    name: "logSigmoid", range: -3...3, op: { $0.logSigmoid() }, reference: { -Foundation.log(1 + Foundation.exp(-$0)) }),
  UnaryCase(name: "relu6", range: -2...8, op: { $0.relu6() }, reference: { Swift.min(Swift.max($0, 0), 6) }),
  UnaryCase(
    name: "leakyRelu", range: -2...2, op: { $0.leakyRelu(negativeSlope: 0.1) }, reference: { $0 > 0 ? $0 : 0.1 * $0 }),
  UnaryCase(
    name: "elu", range: -2...2, op: { $0.elu(alpha: 1.5) }, reference: { $0 > 0 ? $0 : 1.5 * (Foundation.exp($0) - 1) }),
  UnaryCase(
    name: "selu", range: -2...2, op: { $0.selu() },
    reference: { 1.0507009873554805 * ($0 > 0 ? $0 : 1.6732632423543772 * (Foundation.exp($0) - 1)) }),
  UnaryCase(
    name: "celu", range: -2...2, op: { $0.celu(alpha: 0.5) },
    reference: { $0 > 0 ? $0 : 0.5 * (Foundation.exp($0 / 0.5) - 1) }),
  UnaryCase(
    name: "gelu", range: -3...3, op: { $0.gelu() },
    reference: { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }),
  UnaryCase(
    name: "geluTanh", range: -3...3, op: { $0.gelu(approximateTanh: true) },
    reference: { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
  UnaryCase(name: "silu", range: -3...3, op: { $0.silu() }, reference: { $0 / (1 + Foundation.exp(-$0)) }),
  UnaryCase(
    name: "mish", range: -3...3, op: { $0.mish() },
    reference: { $0 * Foundation.tanh(Foundation.log(1 + Foundation.exp($0))) }),
  UnaryCase(
    name: "softplus", range: -3...3, op: { $0.softplus() }, reference: { Foundation.log(1 + Foundation.exp($0)) }),
  UnaryCase(
    name: "softplusThreshold", range: -2...2, op: { $0.softplus(beta: 2, threshold: 1) },
    reference: { 2 * $0 > 1 ? $0 : Foundation.log(1 + Foundation.exp(2 * $0)) / 2 }),
  UnaryCase(name: "softsign", range: -3...3, op: { $0.softsign() }, reference: { $0 / (1 + Swift.abs($0)) }),
  UnaryCase(
    name: "hardtanh", range: -2...2, op: { $0.hardtanh(min: -0.5, max: 1) },
    reference: { Swift.min(Swift.max($0, -0.5), 1) }),
  UnaryCase(
    name: "hardsigmoid", range: -4...4, op: { $0.hardsigmoid() }, reference: { Swift.min(Swift.max($0 + 3, 0), 6) / 6 }),
  UnaryCase(
    name: "hardswish", range: -4...4, op: { $0.hardswish() }, reference: { $0 * Swift.min(Swift.max($0 + 3, 0), 6) / 6 }
  ),
]
