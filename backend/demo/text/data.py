"""A generated extractive question-answering task: every answer is one word of its context.

Why generated: a T5 small enough to train on two CPU cores in a couple of minutes needs a task
it can learn from scratch, and the demo must run from a fresh clone with no download.

A context holds two facts about one person, each naming a town and a job:

    lena lives in oslo and works as a baker . lena was born in paris and trained as a nurse .

and a question asks for one word of one fact ("where does lena live ?" -> oslo, "what did
lena train as ?" -> nurse). Every question has a distractor of the same kind in the other fact,
so answering means reading the relation ("lives" or "born", "works" or "trained") and copying
the word next to it. The question kinds are the groups the Behaviors page compares.

Why one person and not two: with two people ("lena lives in oslo ... mara lives in paris ...")
the model must match the asked name against the context's names, and a T5 of this size trained
from scratch stayed at chance between the two facts (measured while building this demo: 3,000
steps with T5's default initialisation, 2,500 with train.py's locality prior, even with only 10
names); telling "lives" from "born" is learnt within the build's 1,200 steps.

Seeded: the same seed gives the same split, and no held-out question is also a training one.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

NAMES = tuple("""
    ada alan alba amir anna aria arlo axel bea bela boris carl cleo cora dana dario dora egon
    elif elsa emil enzo erik esme ezra fay finn flora gina greta gus hana hugo ida igor ines ira
    ivan jada jana joel jonas juno kai kara kofi lars lena leon lila luca lucy luz maja malik
    mara marco mila milo mira nadia nell nico nils noor olga omar otto paz pia rafa remy rosa
    ruth sami sara silas sofia tara teo theo uma vera yara yuki zara zeno
""".split())
TOWNS = tuple("""
    accra athens baku berlin bern bogota cairo delhi dakar dublin geneva hanoi havana helsinki
    kyoto lagos lima lisbon london madrid manila milan minsk nairobi naples oslo paris prague
    quito riga rome seoul sydney tokyo tunis vienna vilnius warsaw zagreb zurich
""".split())
JOBS = tuple("""
    actor architect artist baker barber brewer builder butcher carpenter chef clerk dentist
    diver doctor driver editor engineer farmer florist gardener guide judge lawyer librarian
    mechanic nurse painter pilot plumber potter sailor tailor teacher writer
""".split())
GROUPS = ("where", "job", "born", "trained")
SEED_TRAIN = 0
SEED_EVAL = 1
EVAL_QUESTIONS = 500


@dataclass(frozen=True)
class QA:
    """One question: the model reads ``question`` and ``context`` and must answer ``answers[0]``."""

    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    group: str


def article(word: str) -> str:
    """'an' before a vowel, else 'a' (SQuAD's normalisation drops both when scoring)."""
    return "an" if word[0] in "aeiou" else "a"


def _job_answers(job: str) -> tuple[str, ...]:
    return (job, f"{article(job)} {job}")


def make_question(rng: random.Random, index: int) -> QA:
    """One context of two facts about one person, and one question about it."""
    name = rng.choice(NAMES)
    home, birthplace = rng.sample(TOWNS, 2)
    job, training = rng.sample(JOBS, 2)
    facts = [f"{name} lives in {home} and works as {article(job)} {job} .",
             f"{name} was born in {birthplace} and trained as {article(training)} {training} ."]
    rng.shuffle(facts)
    group = GROUPS[rng.randrange(len(GROUPS))]
    question, answers = {
        "where": (f"where does {name} live ?", (home,)),
        "job": (f"what is the job of {name} ?", _job_answers(job)),
        "born": (f"where was {name} born ?", (birthplace,)),
        "trained": (f"what did {name} train as ?", _job_answers(training)),
    }[group]
    return QA(f"q{index:04d}", question, " ".join(facts), answers, group)


def generate(n: int, seed: int, exclude: frozenset[tuple[str, str]] = frozenset()) -> list[QA]:
    """``n`` questions (seeded), none whose (question, context) is in ``exclude``."""
    rng = random.Random(seed)
    out: list[QA] = []
    while len(out) < n:
        qa = make_question(rng, len(out))
        if (qa.question, qa.context) not in exclude:
            out.append(qa)
    return out


def training_set(n: int, seed: int = SEED_TRAIN) -> list[QA]:
    """The training questions."""
    return generate(n, seed)


def evaluation_set(train: list[QA], n: int = EVAL_QUESTIONS, seed: int = SEED_EVAL) -> list[QA]:
    """Held-out questions: another seed, and none that also occurs in ``train``."""
    return generate(n, seed, exclude=frozenset((q.question, q.context) for q in train))


def write_jsonl(items: list[QA], path: Path) -> None:
    """The inspector's data file: one {"id", "question", "context", "answers", "group"} per line."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps({**asdict(q), "answers": list(q.answers)}) + "\n" for q in items),
                   encoding="utf-8")
    tmp.replace(path)


def vocabulary() -> list[str]:
    """Every word the prompts and answers can hold, in a fixed order (the tokenizer's vocabulary)."""
    template = ("question: context: where does live ? what is the job of did train as lives in works "
                "was born trained and a an .").split()
    return list(dict.fromkeys([*template, *NAMES, *TOWNS, *JOBS]))
