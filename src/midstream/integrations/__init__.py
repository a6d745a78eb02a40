"""Where midstream meets the wire and the providers' APIs (I/O-free, like the core).

* :mod:`midstream.integrations.sse`: an incremental ``text/event-stream`` decoder (the HTML
  standard's algorithm) with sync and async iterators;
* :mod:`midstream.integrations.providers`: one channel per JSON-bearing stream inside an LLM
  provider's streamed payloads (OpenAI chat and Responses, Anthropic, Cohere, Bedrock, Gemini).

Nothing here is imported by ``import midstream``.
"""
