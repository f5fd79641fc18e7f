"""Intent names: the contract in DESIGN.md that flows, tests and other tools rely on."""

INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "bot_help", "report_repair",
           "file_complaint", "report_emergency", "ticket_status", "ticket_cancel", "event_list",
           "event_signup", "event_cancel", "ask_faq", "make_suggestion", "request_human",
           "register_household", "set_language", "out_of_scope")
OUT_OF_SCOPE = "out_of_scope"
#: Intents that carry a ``category`` entity.
CATEGORY_INTENTS = frozenset({"report_repair", "file_complaint", "report_emergency"})
