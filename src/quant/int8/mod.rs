//! Int8 matrix products for quantized inference (being written).
