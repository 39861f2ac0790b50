"""Chinese translations of case editing, triage, accounts and import, keyed by English."""

ZH_MANAGE: dict[str, str] = {
}
