"""Stage train: the base model prepared once, retrieval-shaped sft records, LoRA fine-tuning."""
