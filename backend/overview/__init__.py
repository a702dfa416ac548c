"""The Overview's maths: map layout and drawing, collapsing, default encodings, filters, Pareto and
budgets, the Compare tab's engine run, and the reducers of user actions."""
