"""Language detection: the gate's slowest step answers each text once per process."""

from __future__ import annotations

from approval.style import language

TEXT = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


def test_the_detector_reads_each_text_once_and_long_texts_every_time(monkeypatch):
    language.forget_detections()
    reads = []
    detector = language._detector
    monkeypatch.setattr(language, "_detector", lambda codes: reads.append(codes) or detector(codes))

    assert language.detect(TEXT) == language.detect(TEXT) == "fr"
    assert len(reads) == 1
    assert language.detect(TEXT, extra=("hu",)) == "fr"  # another set of candidates is another question
    assert len(reads) == 2

    long = " ".join([TEXT] * (language.LONGEST_KEPT // len(TEXT) + 1))
    assert language.detect(long) == language.detect(long) == "fr"
    assert len(reads) == 4

    language.forget_detections()
    language.detect(TEXT)
    assert len(reads) == 5
