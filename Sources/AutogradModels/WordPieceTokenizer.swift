import Autograd
import Foundation

/// BERT's tokenizer, as Hugging Face's `BertTokenizerFast` does it from a `vocab.txt`: text is
/// cleaned, Chinese characters are set apart, accents are stripped and letters lower-cased; it is
/// split at whitespace and around punctuation; each word becomes its longest vocabulary pieces
/// from the left (`##` marks a piece that continues a word), or `[UNK]`.
///
/// ```swift
/// let tokenizer = try WordPieceTokenizer(vocabulary: folder.appendingPathComponent("vocab.txt"))
/// let (ids, mask) = tokenizer.batch(["A sentence.", "Another, longer sentence."])
/// ```
public struct WordPieceTokenizer: Sendable {
  /// The pieces by id (`vocab.txt`'s lines in order).
  public let pieces: [String]
  private let ids: [String: Int]
  /// Lower-case the text and strip its accents (uncased models), as `do_lower_case`.
  public var lowercase: Bool
  /// The most pieces an encoding holds, `[CLS]` and `[SEP]` included; longer texts are truncated.
  public var maxLength: Int
  /// Words longer than this many characters become `[UNK]` whole, as Hugging Face's WordPiece.
  public var maxCharactersPerWord = 100

  public let unknownID: Int, classID: Int, separatorID: Int, paddingID: Int

  /// A tokenizer over `pieces`, which must hold `[UNK]`, `[CLS]`, `[SEP]` and `[PAD]`.
  /// - Throws: `ModelFileError` (with path `vocabulary`) when a special token is missing.
  public init(pieces: [String], lowercase: Bool = true, maxLength: Int = 512) throws {
    var ids: [String: Int] = [:]
    for (id, piece) in pieces.enumerated() where ids[piece] == nil { ids[piece] = id }
    func special(_ token: String) throws -> Int {
      guard let id = ids[token] else {
        throw ModelFileError(URL(fileURLWithPath: "vocabulary"), "the special token \(token) is missing")
      }
      return id
    }
    (self.pieces, self.ids, self.lowercase, self.maxLength) = (pieces, ids, lowercase, maxLength)
    (unknownID, classID, separatorID, paddingID) = (
      try special("[UNK]"), try special("[CLS]"), try special("[SEP]"), try special("[PAD]")
    )
  }

  /// Reads a `vocab.txt`: one piece a line, ids counted from 0.
  /// - Throws: `ModelFileError` for a file that cannot be read, is not UTF-8, or lacks a special token.
  public init(vocabulary url: URL, lowercase: Bool = true, maxLength: Int = 512) throws {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ModelFileError(url, "cannot read it: \(error.localizedDescription)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw ModelFileError(url, "not UTF-8 text") }
    // Split on "\n" itself (a Swift Character split would keep "\r\n" lines whole).
    var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
    if lines.last == "" { lines.removeLast() }
    do { try self.init(pieces: lines, lowercase: lowercase, maxLength: maxLength) } catch let error as ModelFileError {
      throw ModelFileError(url, error.reason)
    }
  }

  /// The pieces of `text`, without `[CLS]` and `[SEP]` and untruncated.
  public func tokenize(_ text: String) -> [String] {
    words(in: normalized(text)).flatMap { pieces(of: $0) }.map { self.pieces[$0] }
  }

  /// The ids of `text`: `[CLS]`, its pieces (the first `maxLength - 2`), `[SEP]`.
  public func encode(_ text: String) -> [Int] {
    let body = words(in: normalized(text)).flatMap { pieces(of: $0) }
    return [classID] + body.prefix(Swift.max(0, maxLength - 2)) + [separatorID]
  }

  /// Several texts as one batch: int64 ids `[N, longest]`, padded on the right with `[PAD]`, and
  /// the attention mask (1 for real tokens, 0 for padding).
  public func batch(_ texts: [String]) -> (ids: Tensor, attentionMask: Tensor) {
    let encoded = texts.map(encode)
    let longest = encoded.map(\.count).max() ?? 0
    var ids: [Int] = []
    var mask: [Int] = []
    for row in encoded {
      ids += row + Array(repeating: paddingID, count: longest - row.count)
      mask += Array(repeating: 1, count: row.count) + Array(repeating: 0, count: longest - row.count)
    }
    return (
      Tensor(integers: ids).reshaped(to: [texts.count, longest]),
      Tensor(integers: mask).reshaped(to: [texts.count, longest])
    )
  }

  // MARK: The steps

  /// BertNormalizer: drop NUL, U+FFFD and control and format characters; whitespace becomes a
  /// space; spaces around CJK ideographs; then, uncased, accents stripped (NFD, then nonspacing
  /// marks dropped) and letters lower-cased.
  func normalized(_ text: String) -> String {
    var cleaned = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
      if Self.isWhitespace(scalar) {
        cleaned.append(" ")
      } else if Self.isCJK(scalar) {
        cleaned.append(contentsOf: [" ", scalar, " "])
      } else {
        cleaned.append(scalar)
      }
    }
    guard lowercase else { return String(cleaned) }
    let decomposed = String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
    let unaccented = String(
      String.UnicodeScalarView(decomposed.filter { $0.properties.generalCategory != .nonspacingMark }))
    return unaccented.lowercased()
  }

  /// BertPreTokenizer: split at whitespace, and every punctuation character a word of its own.
  func words(in text: String) -> [[Unicode.Scalar]] {
    var words: [[Unicode.Scalar]] = []
    var current: [Unicode.Scalar] = []
    for scalar in text.unicodeScalars {
      if scalar.properties.isWhitespace || Self.isPunctuation(scalar) {
        if !current.isEmpty { words.append(current) }
        current = []
        if Self.isPunctuation(scalar) { words.append([scalar]) }
      } else {
        current.append(scalar)
      }
    }
    if !current.isEmpty { words.append(current) }
    return words
  }

  /// WordPiece: the longest vocabulary piece from the left, again and again (`##` before a piece
  /// that does not start the word); `[UNK]` for the whole word when some part matches nothing.
  func pieces(of word: [Unicode.Scalar]) -> [Int] {
    if word.count > maxCharactersPerWord { return [unknownID] }
    var result: [Int] = []
    var start = 0
    while start < word.count {
      var end = word.count
      var found: Int?
      while start < end {
        var piece = String(String.UnicodeScalarView(word[start..<end]))
        if start > 0 { piece = "##" + piece }
        if let id = ids[piece] {
          found = id
          break
        }
        end -= 1
      }
      guard let found else { return [unknownID] }
      result.append(found)
      start = end
    }
    return result
  }

  // MARK: Character classes, as Hugging Face's tokenizers define them

  /// Tab, newline and return, and Unicode's White_Space characters.
  static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
    c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
  }

  /// The "other" categories (control, format, unassigned, private use, surrogate), but not tab,
  /// newline and return.
  static func isControl(_ c: Unicode.Scalar) -> Bool {
    if c == "\t" || c == "\n" || c == "\r" { return false }
    switch c.properties.generalCategory {
    case .control, .format, .unassigned, .privateUse, .surrogate: return true
    default: return false
    }
  }

  /// ASCII punctuation and symbols (`!` to `/`, `:` to `@`, `[` to `` ` ``, `{` to `~`), and
  /// Unicode's punctuation categories.
  static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
    let v = c.value
    if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
      return true
    }
    switch c.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
      .finalPunctuation, .otherPunctuation:
      return true
    default: return false
    }
  }

  /// The CJK Unified Ideographs blocks and their extensions and compatibility forms.
  static func isCJK(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
      0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      return true
    default: return false
    }
  }
}
