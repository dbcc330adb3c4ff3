"""Attribution patching vs. activation patching for attention heads in GPT-2 medium."""
