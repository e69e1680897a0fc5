"""The arm64 Advanced SIMD encodings of lane moves (DUP, INS, UMOV, SMOV), permutes
(ZIP, UZP, TRN, EXT), table lookups (TBL) and the floating-point vector classes: C4.1
of the Arm ARM (DDI 0487). The integer classes are in ``encoding_simd.py``."""

from __future__ import annotations
