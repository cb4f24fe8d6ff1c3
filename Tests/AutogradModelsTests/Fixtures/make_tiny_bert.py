"""Writes the tiny BERT fixture: a 2-layer BertModel (hidden 32, 4 heads, random weights) saved by
Hugging Face's transformers, with a batch of token ids and what PyTorch computes for it.

Usage (a venv with torch and transformers): python make_tiny_bert.py OUT_DIR

OUT_DIR/config.json and OUT_DIR/model.safetensors are the model as save_pretrained writes them;
OUT_DIR/reference.safetensors holds, in float32:
  input_ids, attention_mask (int64 [3, 7]: three sentences padded to the longest),
  last_hidden_state [3, 7, 32], sentence_embedding [3, 32] (mean over real tokens, then L2-normalized,
  as sentence-transformers' 1_Pooling with pooling_mode_mean_tokens and its Normalize module),
  probe [3, 32] (fixed random weights), and the gradients of sum(sentence_embedding * probe) with
  respect to three parameters: grad.embeddings.word_embeddings.weight,
  grad.encoder.layer.0.attention.self.query.weight, grad.encoder.layer.1.output.dense.bias.
"""
import os, sys, torch
from safetensors.torch import save_file
from transformers import BertConfig, BertModel

out = sys.argv[1]
torch.manual_seed(0)
config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)
model = BertModel(config, add_pooling_layer=True).eval()
# Weights of a visible size (BERT's own initializer draws them at std 0.02).
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.randn_like(p) * 0.3)
model.save_pretrained(out)

ids = torch.tensor([[2, 15, 37, 8, 91, 3, 0], [2, 44, 3, 0, 0, 0, 0], [2, 5, 6, 7, 8, 9, 3]])
mask = (ids != 0).long()
hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
m = mask.unsqueeze(-1).float()
pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
embedding = torch.nn.functional.normalize(pooled, p=2, dim=1)
probe = torch.randn(3, 32)
(embedding * probe).sum().backward()
named = dict(model.named_parameters())
tensors = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden.detach(),
           "sentence_embedding": embedding.detach(), "probe": probe}
for name in ["embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
             "encoder.layer.1.output.dense.bias"]:
    tensors["grad." + name] = named[name].grad
save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, "reference.safetensors"))
print("wrote", sorted(os.listdir(out)))
