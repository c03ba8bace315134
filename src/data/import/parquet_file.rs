//! Parquet files, read row group by row group through the `parquet` crate's record API (no
//! Arrow). Columns are the leaves of the schema by dotted path (`meta.text` inside a struct);
//! text, integer, float, boolean and list columns are read, and choosing a column of any other
//! type (binary, timestamp, decimal, map, …) is an error that names the column and its type.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{ConvertedType, LogicalType, Repetition, Type as Physical};
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use parquet::schema::types::Type;

use super::collect::Collector;
use super::mapping::{build_row, Cell, Mapping};
use super::{ImportError, ImportSpec};

/// A leaf column of the schema.
struct Leaf {
    name: String,
    path: Vec<String>,
    /// The type name when the column cannot be read.
    unsupported: Option<String>,
}

fn parquet_error(path: &Path, e: parquet::errors::ParquetError) -> ImportError {
    ImportError::Parquet { path: path.to_path_buf(), reason: e.to_string() }
}

/// Why a primitive column cannot be read, if it cannot.
fn primitive_problem(t: &Type) -> Option<String> {
    let info = t.get_basic_info();
    match info.logical_type_ref() {
        None | Some(LogicalType::String | LogicalType::Enum | LogicalType::Json | LogicalType::Integer(_)) => {}
        Some(LogicalType::Date) => return Some("date".into()),
        Some(LogicalType::Time(_)) => return Some("time of day".into()),
        Some(LogicalType::Timestamp(_)) => return Some("timestamp".into()),
        Some(LogicalType::Decimal(_)) => return Some("decimal".into()),
        Some(LogicalType::Uuid) => return Some("UUID".into()),
        Some(LogicalType::Float16) => return Some("16-bit float".into()),
        Some(other) => return Some(format!("{other:?}")),
    }
    match (t.get_physical_type(), info.converted_type()) {
        (Physical::BOOLEAN | Physical::FLOAT | Physical::DOUBLE, _) => None,
        (
            Physical::INT32 | Physical::INT64,
            ConvertedType::NONE
            | ConvertedType::INT_8
            | ConvertedType::INT_16
            | ConvertedType::INT_32
            | ConvertedType::INT_64
            | ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64,
        ) => None,
        (Physical::BYTE_ARRAY, ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON) => None,
        (Physical::BYTE_ARRAY, ConvertedType::NONE) => Some("binary (bytes, not text)".into()),
        (Physical::INT96, _) => Some("INT96 timestamp".into()),
        (Physical::FIXED_LEN_BYTE_ARRAY, ConvertedType::NONE) => Some("fixed-length binary".into()),
        (_, ConvertedType::DATE) => Some("date".into()),
        (_, ConvertedType::TIME_MILLIS | ConvertedType::TIME_MICROS) => Some("time of day".into()),
        (_, ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS) => Some("timestamp".into()),
        (_, ConvertedType::DECIMAL) => Some("decimal".into()),
        (_, ConvertedType::INTERVAL) => Some("interval".into()),
        (_, ConvertedType::BSON) => Some("BSON".into()),
        (physical, converted) => Some(format!("{physical} {converted}")),
    }
}

fn is_list(t: &Type) -> bool {
    let info = t.get_basic_info();
    matches!(info.logical_type_ref(), Some(LogicalType::List)) || info.converted_type() == ConvertedType::LIST
}

fn is_map(t: &Type) -> bool {
    let info = t.get_basic_info();
    matches!(info.logical_type_ref(), Some(LogicalType::Map))
        || matches!(info.converted_type(), ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE)
}

/// The element of a list group (3-level `list.element` or 2-level legacy layouts).
fn list_element(t: &Type) -> Option<&Type> {
    let repeated = t.get_fields().first()?;
    if repeated.is_primitive() {
        return Some(repeated);
    }
    match repeated.get_fields() {
        [element] => Some(element),
        _ => None,
    }
}

fn collect_leaves(t: &Type, prefix: &[String], out: &mut Vec<Leaf>) {
    let mut path = prefix.to_vec();
    path.push(t.name().to_string());
    let info = t.get_basic_info();
    let repeated = info.has_repetition() && info.repetition() == Repetition::REPEATED;
    let unsupported = if t.is_primitive() && repeated {
        primitive_problem(t).map(|p| format!("list of {p}"))
    } else if t.is_primitive() {
        primitive_problem(t)
    } else if is_map(t) {
        Some("map".into())
    } else if is_list(t) {
        match list_element(t) {
            Some(e) if e.is_primitive() => primitive_problem(e).map(|p| format!("list of {p}")),
            _ => Some("list of structs or lists".into()),
        }
    } else if repeated {
        Some("repeated group".into())
    } else {
        for child in t.get_fields() {
            collect_leaves(child, &path, out);
        }
        return;
    };
    out.push(Leaf { name: path.join("."), path, unsupported });
}

fn leaves(schema: &Type) -> Vec<Leaf> {
    let mut out = Vec::new();
    for field in schema.get_fields() {
        collect_leaves(field, &[], &mut out);
    }
    out
}

fn open<C: ChunkReader + 'static>(chunk: C, path: &Path) -> Result<SerializedFileReader<C>, ImportError> {
    SerializedFileReader::new(chunk).map_err(|e| parquet_error(path, e))
}

/// The value of one leaf in a row.
fn lookup<'r>(row: &'r Row, path: &[String]) -> Option<&'r Field> {
    let (first, rest) = path.split_first()?;
    let field = row.get_column_iter().find(|(n, _)| *n == first).map(|(_, f)| f)?;
    match (field, rest.is_empty()) {
        (f, true) => Some(f),
        (Field::Group(inner), false) => lookup(inner, rest),
        (Field::Null, false) => Some(field),
        _ => None,
    }
}

fn scalar_text(field: &Field) -> Cow<'_, str> {
    match field {
        Field::Null => Cow::Borrowed(""),
        Field::Str(s) => Cow::Borrowed(s.as_str()),
        Field::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Field::Byte(x) => Cow::Owned(x.to_string()),
        Field::Short(x) => Cow::Owned(x.to_string()),
        Field::Int(x) => Cow::Owned(x.to_string()),
        Field::Long(x) => Cow::Owned(x.to_string()),
        Field::UByte(x) => Cow::Owned(x.to_string()),
        Field::UShort(x) => Cow::Owned(x.to_string()),
        Field::UInt(x) => Cow::Owned(x.to_string()),
        Field::ULong(x) => Cow::Owned(x.to_string()),
        Field::Float(x) => Cow::Owned(x.to_string()),
        Field::Double(x) => Cow::Owned(x.to_string()),
        other => Cow::Owned(other.to_string()),
    }
}

fn cell(field: Option<&Field>) -> Cell<'_> {
    match field {
        None => Cell::Missing,
        Some(Field::ListInternal(list)) => Cell::List(
            list.elements().iter().filter(|f| !matches!(f, Field::Null)).map(|f| scalar_text(f).into_owned()).collect(),
        ),
        Some(f) => Cell::Text(scalar_text(f)),
    }
}

/// Resolves the spec against the leaves; a chosen column of an unsupported type is an error.
fn resolve(spec: &ImportSpec, leaves: &[Leaf], path: &Path) -> Result<Mapping<usize>, ImportError> {
    let names: Vec<String> = leaves.iter().map(|l| l.name.clone()).collect();
    let mapping = super::mapping::resolve(spec, &names, path)?;
    for col in mapping.keys() {
        if let Some(type_name) = &leaves[col.key].unsupported {
            return Err(ImportError::UnsupportedColumnType {
                path: path.to_path_buf(),
                column: col.name.clone(),
                type_name: type_name.clone(),
            });
        }
    }
    Ok(mapping)
}

/// The schema reduced to the chosen leaves (so that no other column is decoded).
fn projection(schema: &Type, leaves: &[Leaf], keys: &[usize]) -> Result<Type, parquet::errors::ParquetError> {
    let paths: Vec<&[String]> = keys.iter().map(|&k| leaves[k].path.as_slice()).collect();
    let fields = prune_fields(schema, &paths)?;
    Type::group_type_builder(schema.name()).with_fields(fields).build()
}

/// The children of a group that hold one of the paths (relative to the group), pruned below.
fn prune_fields(group: &Type, paths: &[&[String]]) -> Result<Vec<Arc<Type>>, parquet::errors::ParquetError> {
    let mut out = Vec::new();
    for child in group.get_fields() {
        let below: Vec<&[String]> =
            paths.iter().filter(|p| p.first().is_some_and(|n| n == child.name())).map(|p| &p[1..]).collect();
        if below.is_empty() {
            continue;
        }
        if below.iter().any(|p| p.is_empty()) || child.is_primitive() {
            out.push(child.clone());
            continue;
        }
        let info = child.get_basic_info();
        let mut builder = Type::group_type_builder(child.name())
            .with_converted_type(info.converted_type())
            .with_logical_type(info.logical_type_ref().cloned())
            .with_fields(prune_fields(child, &below)?);
        if info.has_repetition() {
            builder = builder.with_repetition(info.repetition());
        }
        out.push(Arc::new(builder.build()?));
    }
    Ok(out)
}

/// Reads every row into the collector; returns the column names.
pub(crate) fn read<C: ChunkReader + 'static>(
    chunk: C,
    spec: &ImportSpec,
    c: &mut Collector,
) -> Result<(Vec<String>, Mapping<usize>), ImportError> {
    let path = c.path().to_path_buf();
    let reader = open(chunk, &path)?;
    let schema = reader.metadata().file_metadata().schema();
    let leaves = leaves(schema);
    let mapping = resolve(spec, &leaves, &path)?;
    let keys: Vec<usize> = mapping.keys().map(|col| col.key).collect();
    let proj = projection(schema, &leaves, &keys).map_err(|e| parquet_error(&path, e))?;
    let total_rows = reader.metadata().file_metadata().num_rows().max(0) as u64;
    c.reserve(total_rows.min(usize::MAX as u64) as usize);
    let mut bytes_done = 0u64;
    for i in 0..reader.num_row_groups() {
        let group = reader.get_row_group(i).map_err(|e| parquet_error(&path, e))?;
        let group_bytes = group.metadata().compressed_size().max(0) as u64;
        for row in group.get_row_iter(Some(proj.clone())).map_err(|e| parquet_error(&path, e))? {
            let row = row.map_err(|e| parquet_error(&path, e))?;
            let n = c.next_row()?;
            let result = build_row(&mapping, n, |&k| Ok(cell(lookup(&row, &leaves[k].path))));
            c.push(n, None, result);
        }
        bytes_done += group_bytes;
        c.set_extra_bytes(bytes_done);
    }
    Ok((leaves.into_iter().map(|l| l.name).collect(), mapping))
}

/// The columns and the first rows of a Parquet file, for the sniffer's preview. Columns of
/// unsupported types show their type in angle brackets.
pub(crate) fn preview<C: ChunkReader + 'static>(
    chunk: C,
    rows: usize,
    path: &Path,
) -> Result<(Vec<String>, Vec<Vec<String>>), ImportError> {
    let reader = open(chunk, path)?;
    let schema = reader.metadata().file_metadata().schema();
    let leaves = leaves(schema);
    let readable: Vec<usize> = (0..leaves.len()).filter(|&i| leaves[i].unsupported.is_none()).collect();
    let proj = projection(schema, &leaves, &readable).map_err(|e| parquet_error(path, e))?;
    let mut out = Vec::new();
    let iter = reader.get_row_iter(Some(proj)).map_err(|e| parquet_error(path, e))?;
    for row in iter.take(rows) {
        let row = row.map_err(|e| parquet_error(path, e))?;
        out.push(
            leaves
                .iter()
                .map(|l| match &l.unsupported {
                    Some(t) => format!("<{t}>"),
                    None => match cell(lookup(&row, &l.path)) {
                        Cell::Missing => String::new(),
                        Cell::Text(s) => s.into_owned(),
                        Cell::List(items) => items.join(", "),
                    },
                })
                .collect(),
        );
    }
    Ok((leaves.into_iter().map(|l| l.name).collect(), out))
}
