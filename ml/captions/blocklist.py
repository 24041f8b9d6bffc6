"""Words the generator must never write: a small built-in list of slurs, stored as SHA-256 hashes of the
lower-case word so that this file does not print them. Generation masks their logits; it does not filter after."""
from __future__ import annotations

import hashlib

_BLOCKED_SHA256 = frozenset({
    "120f6e5b4ea32f65bda68452fcfaaef06b0136e1d0e4a6f60bc3771fa0936dd6",
    "08a841e996781e9e77d30a4e4420a8f501a280b00624e6d1224bf54aaff73eba",
    "8f5083e3e5c7dc8932f2bf58212f963f3a44752618c96297f82623f736c52738",
    "9915ba2d822280f22c283df4e76584a40e0119fc58f73c5f84d4fdb04d04fa6f",
    "1e02eec4f1095143be282056557034d4e8ab915342c1af508223141d472d2347",
    "5b3ae48be122f7ed19b4cc587649f41f9d2565df51cfa332f8e7806f4ebb9032",
    "c3de533e9b7fe63b79f648687a30d2861edd92fe7c3cd1f2c485e0a605367624",
    "98b52c4b6b7d1f48e7477a5ccc10955dd195d0ac5a38c8281bfeb08762634909",
    "f9d0d9b18ae9033a5ea36df19bf279b059e887a9ae785db81117bceaecc95933",
    "eef3bd091670c3447022d619c06ad15de96da72b5a66f28bb8b75d1b1c12a05f",
    "cc02032349c833ac5e97bac094560ed40e09acf34cb1978ab7a9840b9bf15b4d",
    "22fc75e65a0e9d34324092a7c6a8dba961853294abca4e5914e60c550f48e0c2",
    "333f7618092958c75b8c5af6f1ec77b42803922a0fc6ff1570a8af3a3aab3b4a",
    "16ea09fc78ca83ca502cbcf2377acdf280bf18f61e259153f0868405eedab5ef",
    "886d51e97ad7931d0d2af8439ca6d9e4887e3c2b469ed247cbd68ceb3649ccde",
    "e7b98c6aa5b944e0b315d350d423f895ac9e44fb84f1534b18c2572370a67b9e",
    "94c6d2e10a76c3134a31abb9a1e0e54feb4fe2b999cc5b788d5e9ef09c59b659",
    "82159dd02870c13ec30e4f146db7c317aca568469d0e7e22b8610a2eaa3d3924",
    "268651b3ece980102f18871fde07189372961e056f858ca147a28d004f876b03",
    "45cd3e1bb472d8e285a160a95f6409ec5ce86102e9caaaf0b63fc11db04ab559",
    "ee5a869b5ace6905c18930b814171beef8a7968dbc619a692d966c69464a0971",
})


def is_blocked(word: str) -> bool:
    return hashlib.sha256(word.strip().lower().encode("utf-8")).hexdigest() in _BLOCKED_SHA256
