"""Small genuine files of each type with a signature, and impostors."""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 4 + b"%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)
GIF = b"GIF89a" + bytes(30)
DOCX = b"PK\x03\x04" + bytes(60)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20)
TEXT = "Привет, printer log\n".encode() * 3
HTML = b"<html><script>alert(document.cookie)</script></html>"
