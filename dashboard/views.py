from django.http import HttpResponse


def overview(request):
    return HttpResponse("Relwatch")


def actor(request, slug):
    return HttpResponse(slug)


def event(request, pk):
    return HttpResponse(str(pk))
