"""Linli's natural-language understanding: language, intent and entities of a resident's message.

Nothing here knows about channels, the database or flows: text goes in, a parse result (the shape
of Rasa's ``/model/parse``) comes out.
"""
