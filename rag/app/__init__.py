"""Where people meet the system: the command line, the web chat, the JSON and OpenAI routes."""
