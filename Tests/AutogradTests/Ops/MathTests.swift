import Foundation

@testable import Autograd

/// The functions of `Tensor+Math.swift`, one row each: name, input range, the op, and the scalar
/// function it must agree with. `ElementwiseTests.swift` checks every row's values and its
/// gradients of first and second order.
let mathCases: [UnaryCase] = [
  UnaryCase(name: "exp", range: -2...2, op: { $0.exp() }, reference: { Foundation.exp($0) }),
  UnaryCase(name: "log", range: 0.2...3, op: { $0.log() }, reference: { Foundation.log($0) }),
  UnaryCase(name: "sqrt", range: 0.2...3, op: { $0.sqrt() }, reference: { Foundation.sqrt($0) }),
  UnaryCase(name: "abs", range: -2...2, op: { $0.abs() }, reference: { Swift.abs($0) }),
  UnaryCase(name: "tanh", range: -2...2, op: { $0.tanh() }, reference: { Foundation.tanh($0) }),
  UnaryCase(
    name: "clamp", range: -2...2, op: { $0.clamped(min: -1, max: 0.5) },
    reference: { Swift.min(Swift.max($0, -1), 0.5) }),
  UnaryCase(name: "exp2", range: -2...2, op: { $0.exp2() }, reference: { Foundation.exp2($0) }),
  UnaryCase(name: "expm1", range: -2...2, op: { $0.expm1() }, reference: { Foundation.expm1($0) }),
  UnaryCase(name: "log2", range: 0.3...3, op: { $0.log2() }, reference: { Foundation.log2($0) }),
  UnaryCase(name: "log10", range: 0.3...3, op: { $0.log10() }, reference: { Foundation.log10($0) }),
  UnaryCase(name: "log1p", range: -0.5...2, op: { $0.log1p() }, reference: { Foundation.log1p($0) }),
  UnaryCase(name: "rsqrt", range: 0.3...3, op: { $0.rsqrt() }, reference: { 1 / Foundation.sqrt($0) }),
  UnaryCase(name: "square", range: -2...2, op: { $0.square() }, reference: { $0 * $0 }),
  UnaryCase(name: "reciprocal", range: 0.3...3, op: { $0.reciprocal() }, reference: { 1 / $0 }),
  UnaryCase(name: "sin", range: -3...3, op: { $0.sin() }, reference: { Foundation.sin($0) }),
  UnaryCase(name: "cos", range: -3...3, op: { $0.cos() }, reference: { Foundation.cos($0) }),
  UnaryCase(name: "tan", range: -1.2...1.2, op: { $0.tan() }, reference: { Foundation.tan($0) }),
  UnaryCase(name: "asin", range: -0.9...0.9, op: { $0.asin() }, reference: { Foundation.asin($0) }),
  UnaryCase(name: "acos", range: -0.9...0.9, op: { $0.acos() }, reference: { Foundation.acos($0) }),
  UnaryCase(name: "atan", range: -3...3, op: { $0.atan() }, reference: { Foundation.atan($0) }),
  UnaryCase(name: "sinh", range: -2...2, op: { $0.sinh() }, reference: { Foundation.sinh($0) }),
  UnaryCase(name: "cosh", range: -2...2, op: { $0.cosh() }, reference: { Foundation.cosh($0) }),
  UnaryCase(name: "asinh", range: -3...3, op: { $0.asinh() }, reference: { Foundation.asinh($0) }),
  UnaryCase(name: "acosh", range: 1.2...3, op: { $0.acosh() }, reference: { Foundation.acosh($0) }),
  UnaryCase(name: "atanh", range: -0.9...0.9, op: { $0.atanh() }, reference: { Foundation.atanh($0) }),
  UnaryCase(name: "erf", range: -2...2, op: { $0.erf() }, reference: { Foundation.erf($0) }),
  UnaryCase(name: "erfc", range: -2...2, op: { $0.erfc() }, reference: { Foundation.erfc($0) }),
  UnaryCase(name: "floor", range: -3...3, op: { $0.floor() }, reference: { Foundation.floor($0) }),
  UnaryCase(name: "ceil", range: -3...3, op: { $0.ceil() }, reference: { Foundation.ceil($0) }),
  UnaryCase(name: "round", range: -3...3, op: { $0.round() }, reference: { $0.rounded(.toNearestOrEven) }),
  UnaryCase(name: "trunc", range: -3...3, op: { $0.trunc() }, reference: { Foundation.trunc($0) }),
  UnaryCase(name: "sign", range: -3...3, op: { $0.sign() }, reference: { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }),
]
