"""Records Hugging Face's WordPiece ids for a varied test set of sentences.

Usage (a venv with the tokenizers package): python make_wordpiece_cases.py MODEL_DIR OUT.json
MODEL_DIR is all-MiniLM-L6-v2's folder (its tokenizer.json); OUT.json gets [{"text", "ids"}], the
ids as the fast tokenizer gives them with [CLS] and [SEP], truncated to 128 and unpadded.
"""
import json, random, sys
from tokenizers import Tokenizer

tokenizer = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
tokenizer.no_padding()
tokenizer.enable_truncation(max_length=128)

sentences = [
    "Hello, world!", "The quick brown fox jumps over the lazy dog.", "I can't believe it's not butter.",
    "Café au lait, s'il vous plaît.", "naïve résumé façade coöperate", "Ångström, Øresund, Ærø, Łódź",
    "Straße und Maß", "İstanbul'da ığdır", "ΑΒΓΔ αβγδ Ελληνικά", "Привет, мир! Как дела?",
    "東京は日本の首都です。", "我爱自然语言处理", "한국어 문장입니다.", "日本語とEnglishの混在テキスト",
    "This is 🎉 great 😀!!", "emoji👍attached", "❤️ love ❤", "👨‍👩‍👧 family", "flags 🇫🇷🇩🇪",
    "The price is $3.50 (or €3,20).", "Call +1-800-555-0199 now!", "Pi is 3.14159265358979",
    "1,000,000 people; 2.5% growth; 10^6 ops", "e-mail: someone@example.com", "https://example.org/path?q=1&x=2",
    "C++ and C# and F#", "snake_case and camelCase and kebab-case", "#hashtag @mention",
    "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 99, "b" * 100, "c" * 101, "antidisestablishmentarianism" * 4, "x" * 250,
    "", "   ", "\t\n\r", "single", "UPPER CASE WORDS", "MiXeD CaSe TeXt",
    "tabs\tand\nnewlines\r\nhere", "non\u00a0breaking\u2003spaces\u3000ideographic",
    "zero\u200bwidth\u200djoiner", "soft\u00adhyphen", "control\u0007char\u0000nul\ufffdreplacement",
    "“curly quotes” and ‘single’ — dashes – and … ellipsis", "«guillemets» ¿preguntas? ¡exclamaciones!",
    "Math: ∑ ∫ √ ∞ ≈ ≠ ≤ ≥ ± × ÷", "Symbols: © ® ™ § ¶ † ‡ •", "Currency: ¥ £ ₹ ₩ ₿",
    "Arabic: مرحبا بالعالم", "Hebrew: שלום עולם", "Thai: สวัสดีครับ", "Hindi: नमस्ते दुनिया",
    "Vietnamese: Tiếng Việt có dấu", "Combining: e\u0301 a\u0300 o\u0308", "Ligatures: ﬁ ﬂ ﬀ",
    "Fullwidth: ＡＢＣ１２３", "Roman numerals Ⅻ Ⅳ", "Superscripts x² y³ ½ ¼",
    "don't won't shouldn't y'all", "U.S.A. vs. U.K.", "Dr. Smith's 3rd-year PhD student",
    "The year 2024 was 365 days; 2023-12-31T23:59:59Z.", "version 1.2.3-beta+build.45",
    "((nested (parentheses)))", "[brackets] {braces} <angles>", "a/b\\c|d~e^f`g",
    "...", "?!?!", "---", "___", "''\"\"", "word" + "!" * 20,
]
pools = {
    "words": ["the", "model", "learns", "gradient", "backpropagation", "tensor", "Swift", "PyTorch",
              "unbelievable", "internationalization", "électricité", "Zürich", "naïveté", "jalapeño",
              "東京", "北京大学", "서울", "Москва", "αλφάβητο", "42", "3.14", "1e-9", "$100", "50%",
              "😀", "🚀🚀", "#ML", "@user", "e-mail", "O'Reilly", "co-operate", "re-enter",
              "xyzzyplughfrobnicate", "qwertyuiopasdfghjkl", "ḍḥṣṭ", "ǅǈǋ", "ﬃ", "ＡＢ"],
    "punct": [",", ".", "!", "?", ";", ":", "—", "…", "(", ")", "\"", "'", "/", "-", "&"],
    "space": [" ", "  ", "\t", "\n", " \u00a0"],
}
rng = random.Random(0)
while len(sentences) < 260:
    parts = []
    for _ in range(rng.randint(1, 14)):
        kind = rng.choice(["words", "words", "words", "punct", "space"])
        parts.append(rng.choice(pools[kind]))
        if kind == "words" and rng.random() < 0.6:
            parts.append(" ")
    sentences.append("".join(parts))
# Long texts, truncated at 128 pieces.
sentences.append(" ".join(pools["words"] * 6))
sentences.append("word " * 300)

cases = [{"text": s, "ids": tokenizer.encode(s).ids} for s in sentences]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=0)
print(len(cases), "cases")
