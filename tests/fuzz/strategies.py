"""Hypothesis strategies for the URL, expression and regex fuzzers (config ones: ``config_strategies``).

Inputs are token soups: pieces the parsers split on or compare against, random text between
them, and sometimes one piece repeated thousands of times (what exposes quadratic parsing).
"""

from __future__ import annotations

from hypothesis import strategies as st

from backend.viewstate.codec import escape
from tests.fuzz.corpus import IDS, METRICS, NUMBERS, QUERY_KEYS, SEPARATORS, WORDS

TEXT = st.text(max_size=6)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)  # surrogates and controls too
PIECE = st.one_of(
    st.sampled_from(IDS), st.sampled_from(METRICS), st.sampled_from(NUMBERS), st.sampled_from(SEPARATORS),
    st.sampled_from(WORDS), st.sampled_from(IDS + METRICS).map(escape), TEXT,
)
RUN_PIECES = [" ", "a", ":", ";", ",", "%", "%25", "<", "<=", "9", "\t", "a ", "(", "\\"]


def runs(longest: int) -> st.SearchStrategy[str]:
    """One piece repeated 100 to ``longest`` times."""
    return st.tuples(st.sampled_from(RUN_PIECES), st.integers(100, longest)).map(lambda t: t[0] * t[1])


RUN = runs(30_000)
# Config files parse in pure Python at about 0.1-1 MB/s (PyYAML's SafeLoader): their runs stay
# short so that a slow input means superlinear work, not a big file.
SHORT_RUN = runs(2_000)


def soup(max_pieces: int = 12, run: st.SearchStrategy[str] | None = RUN) -> st.SearchStrategy[str]:
    """A string of hostile pieces; now and then a long run of one piece."""
    piece = st.one_of(PIECE, run) if run is not None else PIECE
    return st.one_of(
        st.lists(PIECE, max_size=max_pieces).map("".join),
        st.lists(piece, max_size=max_pieces).map("".join),
        ANY_TEXT,
    )


VALUE = soup()
QUERY_VALUE = st.one_of(VALUE, VALUE, st.lists(VALUE, max_size=3))  # a repeated key: a list
QUERY_KEY = st.one_of(st.sampled_from(QUERY_KEYS), TEXT)


def queries() -> st.SearchStrategy[dict]:
    """A query as Dash hands a layout its keyword arguments (str, or a list for a repeated key).

    Keys whose values have a grammar (budget, filter, refine, models, brush) mostly get values
    shaped like it, so the parsers get past their first split.
    """
    shaped = {"budget": expressions("budget"), "filter": expressions("filter"), "refine": refinements(),
              "brush": expressions("filter"), "models": ids_lists(), "sel": ids_lists(), "open": ids_lists(),
              "pair": ids_lists(), "sort": st.tuples(VALUE, st.sampled_from([":desc", ":asc", ":", ""])).map("".join)}
    known = st.fixed_dictionaries({}, optional={k: st.one_of(v, v, QUERY_VALUE) for k, v in shaped.items()})
    return st.tuples(known, st.dictionaries(QUERY_KEY, QUERY_VALUE, max_size=8)).map(lambda t: {**t[1], **t[0]})


def ids_lists() -> st.SearchStrategy[str]:
    """'a,b%2Cc': model ids of the fuzz forest, escaped or not, and junk, joined by ','."""
    one = st.one_of(st.sampled_from(IDS), st.sampled_from(IDS).map(escape), PIECE)
    return st.lists(one, max_size=20).map(",".join)


def refinements() -> st.SearchStrategy[str]:
    """'0:x|y;2:true' shaped refinements with odd indices ('²', '٣', 5,000 digits) and values."""
    odd = st.sampled_from(["²", "٣", "１２", "9" * 5000, "9" * 19, "-1", "+1", " 1 ", "0" * 30, "1.0", ""])
    index = st.one_of(odd, st.integers(-2, 20).map(str), st.sampled_from(NUMBERS), TEXT)
    values = st.lists(st.one_of(st.sampled_from(["0.5", "0.75", "8", "4", "prune", "None"] + WORDS), PIECE),
                      max_size=4).map("|".join)
    shaped = st.tuples(index, st.sampled_from([":", "", "::"]), values).map("".join)
    part = st.one_of(shaped, shaped, shaped, PIECE)
    return st.lists(part, max_size=6).map(";".join)


@st.composite
def search_strings(draw) -> str:
    """A location's raw search ('?a=b&c'), percent-escapes and all, as a pasted link holds it."""
    pairs = draw(st.lists(st.tuples(QUERY_KEY, VALUE, st.sampled_from(["=", "", "==", "=&"])), max_size=8))
    raw = "&".join(k + sep + v for k, v, sep in pairs)
    junk = draw(st.sampled_from(["", "%", "%ZZ", "%FF%FE", "%E2%89%A4", "%00", "+", "&&", "#frag", ";"]))
    return draw(st.sampled_from(["?", "", "??"])) + raw + junk


def expression_parts(kind: str) -> st.SearchStrategy[str]:
    """One budget ('Model Size<=8e6') or filter ('acc:0:1') part, near-valid or broken."""
    name = st.one_of(st.sampled_from(METRICS), st.sampled_from(METRICS).map(escape), TEXT, RUN)
    number = st.one_of(st.sampled_from(NUMBERS), st.floats().map(repr), TEXT)
    pad = st.sampled_from(["", " ", "  ", "\t", "\n", " " * 5000])
    if kind == "budget":
        op = st.sampled_from(["<=", ">=", "≤", "≥", "<", "=", "", "<=<=", "=>"])
        part = st.tuples(name, pad, op, pad, number).map("".join)
    else:
        part = st.lists(st.one_of(name, number), min_size=1, max_size=5).map(":".join)
    return st.one_of(part, part, soup())


def expressions(kind: str) -> st.SearchStrategy[str]:
    """A whole ``budget=`` or ``filter=`` value: parts joined by ';' (a few of them broken)."""
    return st.lists(expression_parts(kind), max_size=6).map(";".join)


FORMULA_PIECES = ["+", "-", "*", "/", "**", "(", ")", ",", "<", "<=", ">", ">=", "==", "!=", "log(", "exp(",
                  "abs(", "min(", "max(", ".", "__class__", "`", "``", " ", "eval(", "__import__(", "^", "=",
                  "[", "'", "0", "2", "0.5", "1e6", "1e-6", "1024", "1025", "1e999", ".5", "5.", "1e", "x"]


def formulas() -> st.SearchStrategy[str]:
    """A derived metric's expression: operators, functions, numbers and metric names (bare and in
    backticks, hostile ones included), broken as often as not; sometimes a soup."""
    name = st.sampled_from(METRICS).map(lambda m: "`" + m.replace("`", "``") + "`")
    piece = st.one_of(st.sampled_from(FORMULA_PIECES), name, st.sampled_from(METRICS), st.sampled_from(NUMBERS))
    operand = st.one_of(name, st.sampled_from(["0", "2", "0.5", "1e6", "1e300", "-1"]),
                        st.tuples(st.sampled_from(["log(", "exp(", "abs(", "-("]), name).map(lambda t: f"{t[0]}{t[1]})"),
                        st.tuples(st.sampled_from(["min(", "max("]), name, name).map(lambda t: f"{t[0]}{t[1]}, {t[2]})"))
    operator = st.sampled_from([" + ", " - ", " * ", " / ", " ** ", " < ", " == ", " != ", " >= "])
    shaped = st.tuples(operand, st.lists(st.tuples(operator, operand), max_size=6)).map(
        lambda t: t[0] + "".join(o + v for o, v in t[1]))  # well formed but for chained comparisons
    return st.one_of(shaped, shaped, st.lists(piece, max_size=20).map("".join),
                     st.lists(piece, max_size=20).map(" ".join), soup())


def json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy:
    """Any JSON value (nested lists and mappings) with these strings in it."""
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)
    return st.recursive(scalar, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                       st.dictionaries(TEXT, kids, max_size=3)), max_leaves=8)


JSON = json_values(VALUE)


def store_rows() -> st.SearchStrategy[list]:
    """Filter or budget rows as a browser's store may send them back (hand-made requests too)."""
    bound = st.one_of(st.floats(), st.integers(), st.sampled_from(NUMBERS), JSON)
    row = st.fixed_dictionaries({}, optional={
        "metric": st.one_of(st.sampled_from(METRICS), JSON), "lo": bound, "hi": bound, "value": bound,
        "op": st.one_of(st.sampled_from(["<=", ">=", "≤", "=="]), JSON)})
    return st.lists(st.one_of(row, row, row, JSON), max_size=5)


REGEX_TOKENS = [
    "a", "b", "A", ".", "*", "+", "?", "*?", "+?", "++", "*+", "{2}", "{2,}", "{,3}", "{1000}", "{0,50000}",
    "{99999999999999999999}", "{2,1}", "(", ")", "(?:", "(?i)", "(?P<n>", "(?P=n)", "(?1)", "(?R)", "(?=",
    "(?!", "(?<=", "(?<!", "(?>", "|", "[", "]", "[^", "\\", "\\d", "\\w", "\\s", "\\b", "\\p{L}", "\\p{",
    "\\N{LATIN SMALL LETTER A}", "\\N{", "\\x", "\\x4", "\\u12", "\\U0010FFFF", "\\1", "\\g<1>", "\\g<n>",
    "^", "$", "{e<=2}", "{e<=100}", "{e}", "(?e)", "(?V1)", "(?r)", "(?b)", "(?f)", "(?#", "[[:alpha:]]",
    "\\L<x>", "(?|", "(?(1)a|b)", "(?(n)", "(*PRUNE)", "(*SKIP)", "(*FAIL)", "\\X", "\\G", "\\K", "&&", "--",
    "~~", "||", "[a-\\w]", "[z-a]", "encoder", "layer", "\\.", "0", "-", "(?x)", "(?s)", "(?w)", "(?u)",
]


def patterns() -> st.SearchStrategy[str]:
    """Layers filter patterns: regex token soups (nested, repeated, recursive, fuzzy), random text."""
    token = st.one_of(st.sampled_from(REGEX_TOKENS), TEXT)
    return st.one_of(st.lists(token, max_size=20).map("".join), ANY_TEXT,
                     st.tuples(st.lists(token, max_size=6).map("".join), st.integers(2, 80))
                     .map(lambda t: t[0] * t[1]))
