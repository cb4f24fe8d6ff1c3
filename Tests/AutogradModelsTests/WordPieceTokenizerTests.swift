import Autograd
import Foundation
import Testing

@testable import AutogradModels

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("BERT's WordPiece tokenizer") struct WordPieceTokenizerTests {
  let tokenizer: WordPieceTokenizer

  init() throws {
    tokenizer = try WordPieceTokenizer(vocabulary: fixtures.appendingPathComponent("minilm_vocab.txt"), maxLength: 128)
  }

  /// 262 sentences (accents, punctuation, numbers, CJK, emoji, controls, very long words, long
  /// texts), with the ids Hugging Face's fast tokenizer gives for all-MiniLM-L6-v2's vocabulary
  /// (make_wordpiece_cases.py).
  @Test func givesHuggingFacesIdsOnTheTestSet() throws {
    let data = try Data(contentsOf: fixtures.appendingPathComponent("wordpiece_cases.json"))
    let cases = try JSONDecoder().decode([Case].self, from: data)
    #expect(cases.count >= 200)
    var mismatches: [String] = []
    for c in cases where tokenizer.encode(c.text) != c.ids {
      mismatches.append("\(c.text.debugDescription): \(tokenizer.encode(c.text)) against \(c.ids)")
    }
    #expect(
      mismatches.isEmpty, "\(mismatches.count) of \(cases.count):\n\(mismatches.prefix(10).joined(separator: "\n"))")
  }

  struct Case: Decodable {
    let text: String
    let ids: [Int]
  }

  @Test func piecesSpecialTokensAndBatches() throws {
    #expect(tokenizer.tokenize("Unaffable café!") == ["una", "##ffa", "##ble", "cafe", "!"])
    #expect(tokenizer.pieces[tokenizer.classID] == "[CLS]" && tokenizer.pieces[tokenizer.separatorID] == "[SEP]")
    let (ids, mask) = tokenizer.batch(["a b c", "hello"])
    #expect(ids.shape == [2, 5] && ids.dtype == .int64)
    #expect(mask.scalars(as: Int64.self) == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    #expect(ids[1, 3].item() == Double(tokenizer.paddingID))
    var short = tokenizer
    short.maxLength = 4
    #expect(short.encode("one two three four").count == 4)
  }

  @Test func aVocabularyWithoutItsSpecialTokensIsAnError() throws {
    #expect(throws: ModelFileError.self) { try WordPieceTokenizer(pieces: ["[UNK]", "[CLS]", "a"]) }
    let missing = fixtures.appendingPathComponent("no-such-vocab.txt")
    #expect { try WordPieceTokenizer(vocabulary: missing) } throws: { "\($0)".hasPrefix(missing.path) }
  }
}
