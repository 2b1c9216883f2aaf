"""The circuit DSL: one ``define`` builds the constraints and computes the witness.

``Circuit`` with ``Public``/``Private``/``Output`` declarations, ``ConstraintSystem``
(``cs.mul``, ``assert_equal``, ``assert_bool``, ``assert_product``, ``constant``,
``hint``, ``scope``) and ``Signal`` (a linear combination with its value).
"""
from .circuit import Circuit, Output, Private, Public
from .signal import Signal
from .system import ConstraintSystem

__all__ = ["Circuit", "Public", "Private", "Output", "ConstraintSystem", "Signal"]
