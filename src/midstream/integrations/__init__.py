"""Where midstream meets the wire and the providers' APIs (I/O-free, like the core).

* :mod:`midstream.integrations.sse`: an incremental ``text/event-stream`` decoder (the HTML
  standard's algorithm) with sync and async iterators;
* :mod:`midstream.integrations.providers`: one channel per JSON-bearing stream inside an LLM
  provider's streamed payloads (OpenAI chat and Responses, Anthropic, Cohere, Bedrock, Gemini);
* :mod:`midstream.integrations.fences`: prose and a Markdown fence before a JSON value;
* :mod:`midstream.integrations.updates`: ``updates(source)`` / ``aupdates(source)``, the partial
  value of every channel after every delta, from an SDK stream, an HTTP response, raw SSE bytes
  or payloads (:mod:`midstream.integrations.sources` recognises and closes them).

Nothing here is imported by ``import midstream``.
"""
