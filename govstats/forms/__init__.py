"""Survey forms and data schemas generated from an instrument.

XLSForm for tablets, a printable questionnaire (HTML, PDF), a Table Schema and data
package for the response file, a codebook (Markdown, HTML, DDI-Codebook 2.5 XML), and
SPSS/Stata files with variable and value labels, and the questionnaire as Wenjuanxing's
(问卷星) batch-import text.
"""

from govstats.forms.codebook import codebook, codebook_html, codebook_markdown, ddi_codebook, write_codebook
from govstats.forms.layout import Section, sections
from govstats.forms.printable import questionnaire_html, questionnaire_pdf, write_questionnaire
from govstats.forms.spss import export_responses, spss_metadata, write_spss
from govstats.forms.table_schema import data_package, table_schema, validate_table, write_table_schema
from govstats.forms.variables import Variable, variables
from govstats.forms.wenjuanxing import wenjuanxing_notes, wenjuanxing_questions, wenjuanxing_text, write_wenjuanxing
from govstats.forms.write import write_form, write_schema
from govstats.forms.xlsform import to_xform, write_xlsform, xlsform, xlsform_bytes

__all__ = [
    "Section",
    "Variable",
    "codebook",
    "codebook_html",
    "codebook_markdown",
    "data_package",
    "ddi_codebook",
    "export_responses",
    "questionnaire_html",
    "questionnaire_pdf",
    "sections",
    "spss_metadata",
    "table_schema",
    "to_xform",
    "validate_table",
    "variables",
    "wenjuanxing_notes",
    "wenjuanxing_questions",
    "wenjuanxing_text",
    "write_codebook",
    "write_form",
    "write_questionnaire",
    "write_schema",
    "write_spss",
    "write_table_schema",
    "write_wenjuanxing",
    "xlsform",
    "xlsform_bytes",
]
