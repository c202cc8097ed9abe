"""The case category catalogue (案件类别) with each minor class's standard: what a report's
`category` may be, for the systems and apps that file reports."""
from flask import jsonify

from handlers.categories.catalogue import get_catalogue

from .. import inputs
from ..auth import CLIENT, USER, requires
from ..blueprint import bp
from ..docs import doc
from ..schemas import CategoriesSchema, CategoryQuerySchema


@bp.get("/categories")
@doc("The case categories, in the catalogue's order, with their standards", tags=["categories"],
     description="`q` keeps the categories whose code, name or class names contain every one of its words.",
     query=CategoryQuerySchema, responses={200: CategoriesSchema})
@requires(USER, CLIENT)
def categories():
    query = inputs.query(CategoryQuerySchema())
    catalogue = get_catalogue()
    found = catalogue.search(query["q"]) if query["q"].strip() else catalogue.all()
    return jsonify(CategoriesSchema().dump({"categories": found, "total": len(found)}))
