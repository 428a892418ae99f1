namespace Tern.Pop3.Server;

/// <summary>RFC 1939 3: the states of a POP3 session. UPDATE is entered only by QUIT in TRANSACTION.</summary>
[Flags]
public enum Pop3State
{
    Authorization = 1,
    Transaction = 2,
    Update = 4,
}

/// <summary>A command refused with <c>-ERR</c>; the session goes on. Thrown by command handlers, turned into the
/// reply in one place, the command loop.</summary>
public sealed class Pop3CommandException(string message, Protocol.Pop3ResponseCode code = Protocol.Pop3ResponseCode.None)
    : Exception(message)
{
    public Protocol.Pop3ResponseCode Code { get; } = code;
}
