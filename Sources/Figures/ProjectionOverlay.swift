import CCairo
import Foundation

/// A model projected on an X-ray view (the paper's Figure 2): the detector image in grey (dense dark, as a
/// fluoroscopy monitor shows it), filled triangles painted far to near, polylines and labelled markers, drawn
/// 1:1 on the detector pixels (pixel (column, row) centre at canvas (column + 0.5, row + 0.5)).
public struct ProjectionOverlay: Sendable {
    public struct Triangle: Sendable {
        /// Corners (column, row) in detector pixels.
        public var corners: [(Double, Double)]
        /// Distance from the source (mm): larger is drawn first.
        public var depth: Double
        public var fill: RGBA
        public init(corners: [(Double, Double)], depth: Double, fill: RGBA) {
            self.corners = corners; self.depth = depth; self.fill = fill
        }
    }
    public struct Marker: Sendable {
        public var column: Double, row: Double
        public var color: RGBA
        public var label: String
        public init(column: Double, row: Double, color: RGBA, label: String) {
            self.column = column; self.row = row; self.color = color; self.label = label
        }
    }

    public var columns: Int
    public var rows: Int
    /// Image values, column fastest; displayed with `window` (low white, high black).
    public var image: [Float]
    public var window: (low: Float, high: Float)
    public var triangles: [Triangle]
    public var polylines: [(points: [(Double, Double)], color: RGBA, width: Double)]
    public var markers: [Marker]
    public var title: String

    public init(columns: Int, rows: Int, image: [Float], window: (low: Float, high: Float), title: String) {
        self.columns = columns; self.rows = rows; self.image = image; self.window = window; self.title = title
        triangles = []; polylines = []; markers = []
    }

    public func writePNG(path: String) throws {
        guard image.count == columns * rows else {
            throw FigureError.invalidInput("overlay image has \(image.count) pixels for \(columns) x \(rows)")
        }
        guard window.high > window.low else { throw FigureError.invalidInput("overlay window must have high > low") }
        let canvas = try CairoCanvas.image(width: columns, height: rows)
        let cr = canvas.context
        guard let tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(columns), Int32(rows)) else {
            throw FigureError.cairo(operation: "create the overlay background", status: "no surface")
        }
        defer { cairo_surface_destroy(tile) }
        cairo_surface_flush(tile)
        guard let bytes = cairo_image_surface_get_data(tile) else {
            throw FigureError.cairo(operation: "access the overlay background", status: "no data")
        }
        let stride = Int(cairo_image_surface_get_stride(tile))
        let inv = 1 / (window.high - window.low)
        for j in 0..<rows {
            let row = UnsafeMutableRawPointer(bytes + j * stride).assumingMemoryBound(to: UInt32.self)
            for i in 0..<columns {
                let v = image[j * columns + i]
                let t = v.isFinite ? 1 - min(max((v - window.low) * inv, 0), 1) : 0
                let g = UInt32((t * 255).rounded())
                row[i] = (g << 16) | (g << 8) | g
            }
        }
        cairo_surface_mark_dirty(tile)
        cairo_set_source_surface(cr, tile, 0, 0)
        cairo_paint(cr)
        for t in triangles.sorted(by: { $0.depth > $1.depth }) where t.corners.count >= 3 {
            cairo_move_to(cr, t.corners[0].0 + 0.5, t.corners[0].1 + 0.5)
            for c in t.corners.dropFirst() { cairo_line_to(cr, c.0 + 0.5, c.1 + 0.5) }
            cairo_close_path(cr)
            canvas.setColor(t.fill)
            cairo_fill(cr)
        }
        for line in polylines where line.points.count >= 2 {
            cairo_move_to(cr, line.points[0].0 + 0.5, line.points[0].1 + 0.5)
            for p in line.points.dropFirst() { cairo_line_to(cr, p.0 + 0.5, p.1 + 0.5) }
            canvas.setColor(line.color)
            cairo_set_line_width(cr, line.width)
            cairo_stroke(cr)
        }
        canvas.setFont(size: 11)
        for m in markers {
            cairo_arc(cr, m.column + 0.5, m.row + 0.5, 4, 0, 2 * Double.pi)
            canvas.setColor(m.color)
            cairo_set_line_width(cr, 1.5)
            cairo_stroke(cr)
            if !m.label.isEmpty { canvas.drawText(m.label, x: m.column + 7, centerY: m.row, color: m.color) }
        }
        canvas.fillRectangle(x: 0, y: 0, width: Double(columns), height: 18, color: RGBA.grey(0, alpha: 0.6))
        canvas.setFont(size: 11, bold: true)
        canvas.drawText(title, x: 6, centerY: 9, color: .white)
        try canvas.checkDrawing("the overlay")
        try canvas.writePNG(to: path)
    }
}
