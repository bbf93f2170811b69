import CCairo

/// The bytes cairo streams out, collected in memory.
private final class ByteSink {
    var bytes: [UInt8] = []
}

/// A cairo PDF surface that writes into memory, with its drawing context and
/// the two faces the reports use. Everything cairo-specific lives here; the
/// renderer speaks in strings, points and grey levels.
///
/// Not thread-safe; one document per render.
final class CairoPDFDocument {
    enum Weight { case regular, bold }

    private let sink = ByteSink()
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    private let regularFace: OpaquePointer
    private let boldFace: OpaquePointer

    /// A document whose pages are `width` × `height` points; `creationDate`
    /// (already validated) goes into the info dictionary in place of "now",
    /// which is what makes two renders of the same table byte-identical.
    init(width: Double, height: Double, title: String, creationDate: String) throws {
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        surface = cairo_pdf_surface_create_for_stream(
            { closure, data, length in
                guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
                let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            }, closure, width, height)
        cr = cairo_create(surface)
        regularFace = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        boldFace = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)
        // cairo returns "nil" objects in an error state rather than NULL, so
        // every object above exists and can be destroyed in deinit.
        try Self.check(cairo_surface_status(surface), "create the PDF surface")
        try Self.check(cairo_status(cr), "create a drawing context")
        try Self.check(cairo_font_face_status(regularFace), "load the DejaVu Sans font")
        try Self.check(cairo_font_face_status(boldFace), "load the DejaVu Sans Bold font")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, Self.printable(title))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sipmeter")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, creationDate)
        try Self.check(cairo_surface_status(surface), "set the PDF metadata")
    }

    deinit {
        cairo_font_face_destroy(boldFace)
        cairo_font_face_destroy(regularFace)
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    // MARK: Text

    /// Selects the face and size for the following text calls.
    func font(_ weight: Weight, size: Double) {
        cairo_set_font_face(cr, weight == .bold ? boldFace : regularFace)
        cairo_set_font_size(cr, size)
    }

    /// The advance width of `text` in the current font.
    func width(of text: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// Draws `text` with its baseline starting at (`x`, `y`).
    func show(_ text: String, x: Double, y: Double) {
        cairo_move_to(cr, x, y)
        cairo_show_text(cr, text)
    }

    /// `text` with control characters turned into spaces (the toy API would
    /// draw them as missing-glyph boxes), cut and ended with "…" when wider
    /// than `maxWidth`; returns the text and its width. Empty when not even
    /// the ellipsis fits.
    func fitted(_ text: String, maxWidth: Double) -> (text: String, width: Double) {
        let clean = Self.printable(text)
        let full = width(of: clean)
        if full <= maxWidth { return (clean, full) }
        let characters = Array(clean)
        // The widest prefix that fits with the ellipsis, by bisection.
        var low = 0
        var high = characters.count
        var best = ("", 0.0)
        while low <= high {
            let mid = (low + high) / 2
            let candidate = String(characters[0..<mid]) + "…"
            let w = width(of: candidate)
            if w <= maxWidth {
                best = (candidate, w)
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return best
    }

    // MARK: Shapes

    func fillRect(x: Double, y: Double, width: Double, height: Double, grey: Double) {
        cairo_set_source_rgb(cr, grey, grey, grey)
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    func line(from x1: Double, _ y1: Double, to x2: Double, _ y2: Double, lineWidth: Double, grey: Double) {
        cairo_set_source_rgb(cr, grey, grey, grey)
        cairo_set_line_width(cr, lineWidth)
        cairo_move_to(cr, x1, y1)
        cairo_line_to(cr, x2, y2)
        cairo_stroke(cr)
    }

    func setGrey(_ grey: Double) {
        cairo_set_source_rgb(cr, grey, grey, grey)
    }

    // MARK: Pages

    /// Ends the current page; the next drawing starts a new one.
    func endPage() throws {
        cairo_show_page(cr)
        try Self.check(cairo_status(cr), "finish a page")
    }

    /// Finishes the document and returns the PDF file's bytes.
    func finish() throws -> [UInt8] {
        cairo_surface_finish(surface)
        try Self.check(cairo_surface_status(surface), "write the PDF")
        return sink.bytes
    }

    // MARK: Helpers

    private static func check(_ status: cairo_status_t, _ operation: String) throws {
        guard status != CAIRO_STATUS_SUCCESS else { return }
        let text = cairo_status_to_string(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
        throw ReportError.cairo(operation: operation, status: text)
    }

    private static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
