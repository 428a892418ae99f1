using System.Security.Cryptography;

namespace Tern.Queue;

/// <summary>Queue ids: sortable by arrival, unique across restarts and processes sharing a queue folder.</summary>
/// <remarks>22 upper-case hex digits: 11 of Unix milliseconds (good until the year 2527), 6 of a process-wide counter
/// (orders ids of the same millisecond), 5 random (two processes or a restart within the same millisecond).
/// Only <c>[0-9A-F]</c>, so an id is always a safe file name.</remarks>
public static class QueueId
{
    public const int Length = 22;
    static long counter = RandomNumberGenerator.GetInt32(0, 1 << 20);

    public static string New(DateTimeOffset? now = null)
    {
        long ms = (now ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        long count = Interlocked.Increment(ref counter) & 0xFFFFFF;
        int random = RandomNumberGenerator.GetInt32(0, 1 << 20);
        return $"{ms:X11}{count:X6}{random:X5}";
    }

    /// <summary>True for a string that New could have made; everything else is refused before touching the disk.</summary>
    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Length)
            return false;
        foreach (char c in id)
        {
            if (!char.IsAsciiHexDigitUpper(c) && !char.IsAsciiDigit(c))
                return false;
        }
        return true;
    }

    /// <summary>The arrival time encoded in the id.</summary>
    public static DateTimeOffset TimeOf(string id) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(id[..11], 16));
}
