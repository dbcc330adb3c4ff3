from . import gsm8k, hellaswag, truthfulqa

TASKS = {
    "hellaswag": hellaswag.evaluate,
    "truthfulqa_mc1": truthfulqa.evaluate,
    "gsm8k": gsm8k.evaluate,
}
