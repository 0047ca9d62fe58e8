"""The one command grammar shared by Slack, Discord and the console (DESIGN §4).

``grammar.parse`` turns a line into a typed request (``requests``); ``help`` holds the
words people read about each command.
"""
