namespace Tern.Imap.Protocol;

/// <summary>A command that breaks the grammar (RFC 9051 9): answered with BAD and the reason; the session goes on.</summary>
public sealed class ImapParseException(string message) : Exception(message);
