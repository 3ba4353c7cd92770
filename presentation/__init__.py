"""Presentation: Adaptive Card templates and builders, translations, French typography.

No decisions here, only rendering: dialogs/ decides what to say, this package says it in the
user's language. It imports the domain (knowledge/, intune/ values) and nothing above it.
"""
