"""Where does chat fine-tuning change Llama-2? Weight-space and activation-space diffs."""
