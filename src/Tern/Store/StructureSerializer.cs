using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tern.Store;

/// <summary>The stored form of <see cref="MessageStructure"/> (UTF-8 JSON, source-generated): what a backend keeps
/// beside each message so that ENVELOPE and BODYSTRUCTURE never re-parse it.</summary>
public static class StructureSerializer
{
    public static byte[] Serialize(MessageStructure structure) =>
        JsonSerializer.SerializeToUtf8Bytes(structure, StructureJsonContext.Default.MessageStructure);

    public static MessageStructure Deserialize(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize(utf8, StructureJsonContext.Default.MessageStructure)
        ?? throw new MailStoreException(MailStoreError.Corrupt, "empty message structure");
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MessageStructure))]
internal sealed partial class StructureJsonContext : JsonSerializerContext;
