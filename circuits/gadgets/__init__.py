"""Gadgets: functions ``name(cs, *signals, **params) -> Signal | list[Signal]``.

Each is small enough to audit on one screen and mirrors a circomlib template
(named in its docstring); see the module docstrings for the assumptions each
one makes about its inputs.
"""
