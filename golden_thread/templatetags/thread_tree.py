"""Template tags for the golden thread tree."""

from django import template
from django.template import Context

from pmf import rag

register = template.Library()


class RatingBadgeNode(template.Node):
    """Render `includes/rating.html` once per rating and reuse the result.

    A tree repeats the same few rating badges hundreds of times, and an
    include per badge was a large part of the page's time. The badges are
    kept on the compiled node, so they follow the template when it reloads.
    """

    def __init__(self, rating: template.base.FilterExpression):
        self.rating = rating
        self.badges: dict[rag.Rating, str] | None = None

    def render(self, context):
        if self.badges is None:
            badge = context.template.engine.get_template("includes/rating.html")
            self.badges = {rating: badge.render(Context({"rating": rating})) for rating in rag.Rating}
        return self.badges[rag.Rating(self.rating.resolve(context))]


@register.tag
def rating_badge(parser, token):
    """{% rating_badge rating %}: the same output as including includes/rating.html with that rating."""
    try:
        _, rating = token.split_contents()
    except ValueError:
        raise template.TemplateSyntaxError("rating_badge takes one argument, the rating") from None
    return RatingBadgeNode(parser.compile_filter(rating))
