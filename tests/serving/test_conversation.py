"""Refinement over turns, through POST /chat (issue: language people can trust)."""

from __future__ import annotations

import numpy as np

from llm4rec.profiles.summary import item_years


def test_a_conversation_keeps_what_was_asked_and_shown(client, anonymous, ml100k_loo):
    first = client.post("/chat", json={"message": "a romantic comedy, nothing animated", "k": 5}).json()
    session = first["session_id"]
    assert first["constraints"]["exclude"] == ["Animation"] and len(first["items"]) == 5
    third = first["items"][2]["item_id"]
    more = client.post("/chat", json={"session_id": session, "message": "more like the third one", "k": 5}).json()
    assert more["session_id"] == session and "more like" in more["message"]
    assert third not in [i["item_id"] for i in more["items"]]  # the liked one is not shown again
    newer = client.post("/chat", json={"session_id": session, "message": "newer", "k": 5}).json()
    rows = ml100k_loo.catalog.aligned(ml100k_loo.train.items)
    shown_years = item_years(rows.loc[[i["item_id"] for i in more["items"]]])
    assert newer["constraints"]["year_min"] == int(np.nanmedian(shown_years)) + 1
    rows = ml100k_loo.catalog.frame.reindex([i["item_id"] for i in newer["items"]])
    assert (rows["year"] >= newer["constraints"]["year_min"]).all()
    no_drama = client.post("/chat", json={"session_id": session, "message": "no drama", "k": 5}).json()
    assert set(no_drama["constraints"]["exclude"]) == {"Animation", "Drama"}
    genres = ml100k_loo.catalog.frame["genres"].reindex([i["item_id"] for i in no_drama["items"]]).astype(str)
    assert not genres.str.contains("Drama|Animation", regex=True).any()
    why = client.post("/chat", json={"session_id": session, "message": "why #2?"}).json()
    assert not why["items"] and why["message"].startswith(no_drama["items"][1]["title"])
    assert client.post("/chat", json={"session_id": "nope", "message": "westerns"}).json()["session_id"] != "nope"
    assert anonymous.post("/chat", json={"message": "westerns"}).status_code == 401
