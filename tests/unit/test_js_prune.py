"""js_prune: a bundle body's declarations nothing kept can reach are left out, everything that
runs stays where it was, and text the scanner cannot read is refused rather than guessed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.present.js_prune import prune, scan

HEAD = "var B=(()=>{var W=(e,t)=>()=>(t||e((t={exports:{}}).exports,t),t.exports);"
TAIL = "})();window.B=B;"


def body(*statements: str) -> str:
    return HEAD + "".join(statements) + TAIL


def pruned(*statements: str) -> str:
    text = body(*statements)
    return prune(text, len("var B=(()=>{"))


def test_an_unreached_module_is_dropped_and_a_reached_one_kept():
    out = pruned("var a=W((e,t)=>{t.exports=1});", "var b=W((e,t)=>{t.exports=c()});",
                 "var c=W((e,t)=>{t.exports=2});", "var d=W((e,t)=>{t.exports=3});", "return b();")
    assert "var a=" not in out and "var d=" not in out
    assert "var b=W(" in out and "var c=W(" in out and out.endswith("return b();" + TAIL)


def test_what_runs_is_kept_with_everything_it_names():
    out = pruned("var a=W((e,t)=>{t.exports=1});", "var x=a();", "function f(){return 1}",
                 "function g(){return 2}", "f.y=1;", "var k=(0,eval)(1);")
    assert "var a=W(" in out and "var x=a();" in out  # a call at load runs: kept, and what it names
    assert "function f()" in out and "f.y=1;" in out  # named by a kept statement
    assert "function g()" not in out
    assert "var k=(0,eval)(1);" in out


def test_declarators_are_kept_one_by_one_in_their_order():
    out = pruned("var a=1,b=W(()=>{}),c=d(),e=(x)=>x;", "return [a];")
    assert "var a=1,c=d();" in out  # b and e create nothing and nobody names them


def test_a_function_literal_called_at_once_is_not_taken_for_a_literal():
    out = pruned("var a=function(){sideEffect()}();", "var b=function(){sideEffect()};",
                 "var w=W((e,t)=>{},sideEffect());")
    assert "var a=function(){sideEffect()}();" in out
    assert "var b=" not in out
    assert "var w=" in out  # a wrapper call with a second argument runs it


@pytest.mark.parametrize("tricky", [
    "var r=/[}{;'\"`]/g;",  # a regular expression full of delimiters
    "var s='};var z=1;',q=\"{\\\"\";",  # strings with delimiters and escapes
    "var t=`}${ {a:'}'}.a }${`nested ${1}`};`;",  # template literals, nested
    "var u=1/2/3,v=(1)/2;",  # divisions, not regular expressions
    "/* } var z=1; */ var w=2;// }\n",  # comments
    "var y=typeof /}/;",  # a regular expression after a keyword
])
def test_delimiters_inside_literals_and_comments_do_not_split_statements(tricky: str):
    out = pruned(tricky, "var gone=W((e,t)=>{t.exports=1});", "var kept=W((e,t)=>{});", "return kept();")
    assert "gone" not in out and "var kept=W(" in out


@pytest.mark.parametrize("text", [
    HEAD + "var a='unterminated;" + TAIL,
    HEAD + "var a=1;",  # the body never closes
    HEAD + "var a=`${1;" + TAIL,
])
def test_unreadable_text_is_refused(text: str):
    with pytest.raises(ValueError):
        prune(text, len("var B=(()=>{"))


def test_scan_reports_the_events_of_the_two_outer_depths():
    text = "a(1,2);b={c:[1,2]},d;function f(){};x});"
    events, depth = scan(text, 0, len(text))
    assert depth == -1 and events[-1] == (text.index("})"), "end", -1)
    assert [(kind, d) for _p, kind, d in events[:-1]] == [
        (",", 1), (")", 0), (";", 0), ("]", 1), ("}", 0), (",", 0), (";", 0),
        (")", 0), ("}", 0), (";", 0)]


names = st.sampled_from([f"m{i}" for i in range(8)])


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(names, st.lists(names, max_size=3), min_size=1), st.lists(names, max_size=3))
def test_kept_declarations_are_exactly_those_reached(graph: dict[str, list[str]], roots: list[str]):
    """Against a plain graph walk: module m is kept iff a root reaches it through requires."""
    modules = [f"var {m}=W((e,t)=>{{t.exports=[{','.join(f'{d}()' for d in deps)}]}});"
               for m, deps in graph.items()]
    out = pruned(*modules, f"return [{','.join(f'{r}()' for r in roots)}];")
    reached, todo = set(), [r for r in roots if r in graph]
    while todo:
        m = todo.pop()
        if m not in reached:
            reached.add(m)
            todo += [d for d in graph[m] if d in graph]
    assert set(re.findall(r"var (m\d)=W", out)) == reached
