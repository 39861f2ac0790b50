"""Chinese translations of the case page and dashboard pages, keyed by the English text."""

ZH_CASE: dict[str, str] = {
}
