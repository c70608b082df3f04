"""Domain operations: the verbs that change the forum.

They take plain arguments, add and flush rows, and never commit or touch the request: the view
that calls one commits once.
"""
