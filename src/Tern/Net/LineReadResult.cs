namespace Tern.Net;

public enum LineReadStatus
{
    /// <summary>A whole line was read.</summary>
    Line,
    /// <summary>The line was longer than the cap; it was read to its end and thrown away.</summary>
    TooLong,
    /// <summary>The client closed the connection (any partial line is dropped).</summary>
    Closed,
    /// <summary>The idle timeout passed with no complete line.</summary>
    TimedOut,
    /// <summary>The server is stopping and the session was waiting for a command.</summary>
    ShuttingDown,
}

/// <summary>A line without its line end.</summary>
/// <param name="EndedWithCrlf">False when the line ended with a bare LF (RFC 5321 2.3.8 requires CRLF).</param>
public readonly record struct LineReadResult(LineReadStatus Status, byte[] Line, bool EndedWithCrlf)
{
    public bool IsLine => Status == LineReadStatus.Line;
}
