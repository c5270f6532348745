from rest_framework import serializers

from catalog.models import Movie, Theatre


class CastSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    character = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class CrewSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    job = serializers.CharField(max_length=100)


class MovieOutputSerializer(serializers.ModelSerializer):
    desc = serializers.CharField(source="description", help_text="Same as description.")

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "desc",
            "description",
            "duration_mins",
            "rating",
            "language",
            "genres",
            "release_date",
            "poster_url",
            "is_active",
            "cast",
            "crew",
        ]


class TheatreOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theatre
        fields = ["id", "name", "city", "address"]


class MovieInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    duration_mins = serializers.IntegerField(min_value=1, max_value=32767)
    rating = serializers.CharField(allow_blank=True, required=False, max_length=10)
    language = serializers.CharField(allow_blank=True, required=False, max_length=50)
    genres = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    release_date = serializers.DateField(allow_null=True, required=False)
    poster_url = serializers.URLField(allow_blank=True, required=False, max_length=500)
    is_active = serializers.BooleanField(required=False)
    cast = serializers.ListField(child=CastSerializer(), required=False, max_length=100)
    crew = serializers.ListField(child=CrewSerializer(), required=False, max_length=100)


class TheatreInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    address = serializers.CharField(allow_blank=True, required=False, max_length=300)
