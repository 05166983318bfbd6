"""Command line: build the model folder in one command, or compare training mixes on the dev sets.

    python -m clinical_ner_train first-model --out models/clinical-ner-minilm [--data-dir DIR] [--smoke]
    python -m clinical_ner_train compare-students [--max-steps N] [--mix M ...] [--base DIR ...] [--on dev test]
    python -m clinical_ner_train distillation-report --work training/work/distill --out docs/distillation.md
    python -m clinical_ner_train domain-pretrain --out training/work/minilm-clinical [--max-steps N] [--smoke]
    python -m clinical_ner_train adapt --model models/clinical-ner-minilm --site-notes notes.jsonl \
        --site-labels drugbank.jsonl hpo.jsonl --out models/clinical-ner-site [--held-out CORPUS]
    python -m clinical_ner_train site-study --markdown training/work/site-study.md [--steps N]
    python -m clinical_ner_train fp32 --model models/clinical-ner-minilm --out models/clinical-ner-minilm-fp32
    python -m clinical_ner_train fp16 --model models/clinical-ner-minilm-fp32 --out models/clinical-ner-minilm-fp16
    python -m clinical_ner_train rescore --model models/clinical-ner-minilm
    python -m clinical_ner_train diagnose --model models/clinical-ner-minilm --type symptom \
        --sets psytar-dev maccrobat2020-dev

`first-model` trains, exports ONNX, quantises, checks parity, evaluates and writes the folder
(manifest.json, model.onnx, tokenizer.json). `--smoke` is the CI test: a few hundred sentences, 20 steps and
the same export, parity and manifest checks in a temporary folder; any failed check exits non-zero.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .commands import (adaptation, common, compare, diagnosis, first_model, precision, pretrain, rescore,
                       site_study)

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinical_ner_train")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("first-model", help="train, export, quantise, check, evaluate, write the folder")
    build.add_argument("--out", help="model folder to write (not used with --smoke)")
    build.add_argument("--smoke", action="store_true", help="tiny CI run into a temporary folder")
    build.add_argument("--epochs", type=float)
    build.add_argument("--max-steps", type=int)
    comparing = commands.add_parser("compare-students", help="short runs of training mixes and base encoders, "
                                  "scored on the dev (or test) sets")
    comparing.add_argument("--max-steps", type=int, default=100)
    comparing.add_argument("--dev-documents", type=int, default=200, help="documents per dev set")
    comparing.add_argument("--mix", nargs="+", help="training mixes (training/src/training_mix.rs); default: every "
                         "mix the data allows")
    comparing.add_argument("--base", nargs="+", help="base checkpoint folders (default: all-MiniLM-L6-v2)")
    comparing.add_argument("--on", nargs="+", choices=("dev", "test"), default=["dev"],
                           help="the sets to score each student on: dev (for choices), test (for the report), or both")
    comparing.add_argument("--teacher-dataset", help="teacher-labelled notes for the teacher mixes")
    comparing.add_argument("--json", help="also write the scores here, after each student")
    report = commands.add_parser("distillation-report", help="tables and plots of scripts/distill.sh's results")
    report.add_argument("--work", required=True, help="the pipeline's work folder")
    report.add_argument("--out", required=True, help="Markdown file to write; plots go beside it")
    build.add_argument("--mix", help="a training mix (training/src/training_mix.rs); default: the one it names")
    build.add_argument("--teacher-dataset", help="teacher-labelled notes from `clinical-ner-train merge` "
                       "(mixes teacher and human+teacher)")
    build.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    build.add_argument("--learning-rate", type=float)
    build.add_argument("--hyperparameters", choices=("auto", "paper", "cpu"), default="auto",
                       help="paper: arXiv 2501.00031's (lr 2e-5, batch 8, weight decay 0.01, 10 epochs); cpu: "
                       "3 epochs at 1e-4 with frozen word embeddings; auto: paper on a GPU, cpu otherwise")
    domain = commands.add_parser("domain-pretrain", help="continue the base encoder's masked-language-model "
                                 "training on the unlabelled clinical and biomedical text in the data folder")
    domain.add_argument("--out", help="checkpoint folder to write (not used with --smoke)")
    domain.add_argument("--smoke", action="store_true", help="tiny CI run into a temporary folder")
    domain.add_argument("--max-steps", type=int, help="steps of 16 blocks of 128 tokens (default 600)")
    domain.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    adapting = commands.add_parser("adapt", help="adapt a shipped model folder to a site's notes, labelled by "
                                   "the site's teachers, with early stopping and frozen layers; F1 before and after")
    adapting.add_argument("--model", required=True, help="the shipped model folder to start from")
    adapting.add_argument("--out", required=True, help="model folder to write")
    adapting.add_argument("--name", help="model name in the new manifest (default: the old name + -adapted)")
    site = adapting.add_mutually_exclusive_group(required=True)
    site.add_argument("--site-notes", help="the site's notes, JSON lines {\"id\", \"text\"}")
    site.add_argument("--site-corpus", help="a known gold corpus as the site's labelled notes (studies)")
    adapting.add_argument("--site-labels", nargs="+", default=[],
                          help="`clinical-ner-train label` outputs of the site's teachers on --site-notes (union)")
    adapting.add_argument("--held-out", help="known gold corpus to stop on (default: 10%% of the site's notes)")
    adapting.add_argument("--original-tests", nargs="*", help="known corpora for before/after F1 (default: the "
                          "shipped manifest's test sets)")
    adapting.add_argument("--limit-original", type=int, help="only the first N documents of each original test set")
    adapting.add_argument("--learning-rate", type=float, default=2e-5)
    adapting.add_argument("--frozen-layers", type=int, default=2, help="lowest encoder layers kept fixed (with "
                          "the embeddings)")
    adapting.add_argument("--max-steps", type=int, default=300)
    adapting.add_argument("--check-every", type=int, default=25, help="steps between held-out checks")
    adapting.add_argument("--patience", type=int, default=3, help="checks without improvement before stopping")
    adapting.add_argument("--base", help="the architecture's Hugging Face checkpoint (default: all-MiniLM-L6-v2)")
    study = commands.add_parser("site-study", help="two corpora as two sites: local, shared and transferred "
                                "models, each scored at both sites (table, JSON and plot)")
    study.add_argument("--markdown", required=True, help="table to write; .json and .png go beside it")
    study.add_argument("--steps", type=int, default=200, help="training steps of a local model")
    study.add_argument("--base", help="Hugging Face BERT-family checkpoint folder (default: all-MiniLM-L6-v2)")
    copying = commands.add_parser("fp32", help="an fp32 copy of an int8 model folder (for a GPU, and for "
                               "batches that pool notes), rebuilt from its ONNX file and checked against it")
    copying.add_argument("--model", required=True, help="the int8 model folder")
    copying.add_argument("--out", required=True, help="model folder to write")
    copying.add_argument("--name", help="model name in the new manifest (default: the old name + -fp32)")
    copying.add_argument("--base", help="the architecture's Hugging Face checkpoint (default: all-MiniLM-L6-v2)")
    copying.add_argument("--checkpoint-out", help="also write the rebuilt PyTorch model here (pytorch/ and "
                         "model.fp32.onnx, as first-model's work folder; bench/run.sh reads it)")
    halving = commands.add_parser("fp16", help="an fp16 copy of an fp32 model folder (for CUDA), checked against "
                                  "it on the parity sentences and on every dev set through the engine")
    halving.add_argument("--model", required=True, help="the fp32 model folder")
    halving.add_argument("--out", required=True, help="model folder to write")
    halving.add_argument("--name", help="model name in the new manifest (default: the old name, -fp32 "
                         "replaced by -fp16)")
    halving.add_argument("--dev-documents", type=int, help="score only the first N documents of each dev set")
    diagnosing = commands.add_parser("diagnose", help="where a type's gold words go, and a bias on its logits "
                                     "swept over corpora (chosen on the -dev sets)")
    diagnosing.add_argument("--model", required=True, help="the model folder")
    diagnosing.add_argument("--type", required=True, choices=["medication", "disease", "symptom"])
    diagnosing.add_argument("--sets", nargs="+", required=True, help="known corpora (clinical-ner-train corpora --corpus names)")
    diagnosing.add_argument("--biases", nargs="+", type=float, default=[0, 0.5, 1, 1.5, 2, 3])
    diagnosing.add_argument("--words", type=int, default=15, help="most frequent missed words listed per tag")
    rescoring = commands.add_parser("rescore", help="a model folder's manifest metrics recomputed through the "
                                    "engine, with a table of what moved")
    rescoring.add_argument("--model", required=True, help="the model folder")
    for command in (build, comparing, domain, adapting, study, copying, halving, diagnosing, rescoring):
        command.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
        command.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if args.command == "distillation-report":
        from .report import build as build_report

        build_report(Path(args.work), Path(args.out))
        return 0
    if args.command in ("first-model", "domain-pretrain") and not args.smoke and not args.out:
        parser.error("--out is required unless --smoke")
    common.setup()
    if args.command == "domain-pretrain":
        return pretrain.domain_pretrain(args)
    if args.command == "site-study":
        return site_study.site_study(args)
    if args.command == "fp32":
        return precision.fp32_copy(args)
    if args.command == "fp16":
        return precision.fp16_copy(args)
    if args.command == "diagnose":
        return diagnosis.diagnose_type(args)
    if args.command == "rescore":
        return rescore.rescore(args)
    if args.command == "adapt":
        if args.site_notes and not args.site_labels:
            parser.error("--site-notes needs --site-labels: the site's teachers' labels")
        return adaptation.adapt_model(args)
    return first_model.first_model(args) if args.command == "first-model" else compare.compare_students(args)


if __name__ == "__main__":
    sys.exit(main())
